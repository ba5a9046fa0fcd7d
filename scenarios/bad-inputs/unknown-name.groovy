// expect 2 at line 4: unknown name 'size'
scenario('an undefined variable') {
    machine('box') {
        memory size
    }
}
