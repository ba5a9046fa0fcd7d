// expect 2 at line 3: machine 'box': the built-in guest is x86_64 only
scenario('the built-in guest on RISC-V') {
    machine('box') {
        arch 'riscv64'
    }
}
