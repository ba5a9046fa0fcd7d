// expect 2 at line 4: arch 'sparc' is not one of
scenario('unknown arch') {
    machine('box') {
        arch 'sparc'
    }
}
