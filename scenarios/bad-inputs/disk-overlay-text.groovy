// expect 2 at line 4: overlay.*true or false
scenario('overlay given as text') {
    machine('box') {
        disk size: '64M', overlay: 'yes'
    }
}
