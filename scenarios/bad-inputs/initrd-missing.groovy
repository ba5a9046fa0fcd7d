// expect 2 at line 5: machine 'box': file not found: .*/no-such-initrd\.img
scenario('an initrd that is not there') {
    machine('box') {
        kernel 'initrd-missing.groovy'
        initrd 'no-such-initrd.img'
    }
}
