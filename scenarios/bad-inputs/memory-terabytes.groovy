// expect 2 at line 4: memory '999T' is not a size
scenario('memory in terabytes') {
    machine('box') {
        memory '999T'
    }
}
