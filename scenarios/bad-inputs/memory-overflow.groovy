// expect 2 at line 4: memory '999999999999999999999999M'
scenario('memory beyond a long') {
    machine('box') {
        memory '999999999999999999999999M'
    }
}
