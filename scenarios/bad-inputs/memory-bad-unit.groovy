// expect 2 at line 4: memory '12XB' is not a size like '256M' or '1G'
scenario('memory with an unknown unit') {
    machine('box') {
        memory '12XB'
    }
}
