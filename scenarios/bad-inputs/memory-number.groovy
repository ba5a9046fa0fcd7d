// expect 2 at line 4: memory 512: give a size with a unit
scenario('memory without a unit') {
    machine('box') {
        memory 512
    }
}
