// expect 2 at line 4: machine 'box': nic on network 'lan', which this scenario does not declare
scenario('a nic on no network') {
    machine('box') {
        nic 'lan'
    }
}
