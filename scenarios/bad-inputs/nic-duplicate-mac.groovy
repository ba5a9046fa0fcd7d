// expect 2 at line 8: nic mac 52:54:00:12:34:56 is already used by machine 'a'
scenario('the same MAC twice') {
    network 'lan'
    machine('a') {
        nic 'lan', mac: '52:54:00:12:34:56'
    }
    machine('b') {
        nic 'lan', mac: '52:54:00:12:34:56'
    }
}
