// expect 2 at line 3: machine 'box': image boots its own kernel; drop kernel, initrd and boot
scenario('an image and a kernel') {
    machine('box') {
        image debian('bookworm')
        kernel 'image-and-kernel.groovy'
    }
}
