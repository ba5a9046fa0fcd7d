// expect 2 at line 4: arch 'null' is not one of x86_64, i386, riscv64, aarch64
scenario('arch without a value') {
    machine('box') {
        arch()
    }
}
