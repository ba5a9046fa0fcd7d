// expect 2 at line 4: machine 'box': file not found: .*/no-such-vmlinuz
scenario('a kernel that is not there') {
    machine('box') {
        kernel 'no-such-vmlinuz'
    }
}
