// expect 2 at line 4: bootTimeout
scenario('a boot timeout beyond any clock') {
    machine('box') {
        bootTimeout 1e300
    }
}
