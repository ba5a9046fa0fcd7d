// expect 2 at line 3: 'memory' .*machine
scenario('a machine keyword outside a machine') {
    memory '256M'
    machine('box')
}
