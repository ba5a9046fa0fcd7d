// expect 2 at line 4: disk needs an image path or a size
scenario('a disk of null') {
    machine('box') {
        disk null
    }
}
