// expect 2 at line 4: wrong arguments for 'bootTimeout': \(String\)
scenario('boot timeout as text') {
    machine('box') {
        bootTimeout '10s'
    }
}
