// expect 2 at line 4: kernel takes a path.*not a Closure
scenario('a closure where a path belongs') {
    machine('box') {
        kernel { 'vmlinuz' }
    }
}
