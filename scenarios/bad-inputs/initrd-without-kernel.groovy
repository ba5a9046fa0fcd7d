// expect 2 at line 3: machine 'box': initrd without kernel
scenario('an initrd and no kernel') {
    machine('box') {
        initrd 'initrd-without-kernel.groovy'
    }
}
