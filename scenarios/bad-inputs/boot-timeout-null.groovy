// expect 2 at line 4: bootTimeout needs a number of seconds
scenario('a boot timeout of nothing') {
    machine('box') {
        bootTimeout null
    }
}
