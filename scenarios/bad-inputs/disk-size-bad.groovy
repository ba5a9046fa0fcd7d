// expect 2 at line 4: disk size 'lots'
scenario('a scratch disk of no size') {
    machine('box') {
        disk size: 'lots'
    }
}
