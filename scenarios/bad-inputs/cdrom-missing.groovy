// expect 2 at line 4: machine 'box': CD-ROM image not found: .*/no-such\.iso
scenario('a CD-ROM that is not there') {
    machine('box') {
        cdrom 'no-such.iso'
    }
}
