// expect 2 at line 4: machine 'box': .*bundles is a directory, not a file
scenario('a folder where the disk image belongs') {
    machine('box') {
        disk 'bundles', format: 'raw'
    }
}
