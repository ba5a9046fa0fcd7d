// expect 2 at line 4: memory '0'
scenario('no memory') {
    machine('box') {
        memory '0'
    }
}
