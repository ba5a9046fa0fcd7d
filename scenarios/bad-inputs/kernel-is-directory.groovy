// expect 2 at line 4: machine 'box': .*bundles is a directory, not a file
scenario('a folder where the kernel belongs') {
    machine('box') {
        kernel 'bundles'
    }
}
