// expect 2 at line 4: memory '99999999999G'
scenario('more memory than any host') {
    machine('box') {
        memory '99999999999G'
    }
}
