// A kernel file that does not exist: exit code 2 naming the path.
scenario('missing kernel') {
    machine('box') {
        kernel 'no-such-vmlinuz'
    }
}
