// expect 2 at line 3: machine name 'machines' is reserved
scenario('a reserved name') {
    machine('machines')
}
