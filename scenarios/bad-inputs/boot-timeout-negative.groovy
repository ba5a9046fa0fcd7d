// expect 2 at line 4: bootTimeout must be positive
scenario('negative boot timeout') {
    machine('box') {
        bootTimeout(-5)
    }
}
