// expect 2 at line 4: memory '-256M' is not a size
scenario('negative memory') {
    machine('box') {
        memory '-256M'
    }
}
