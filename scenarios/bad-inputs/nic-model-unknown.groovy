// expect 2 at line 5: nic model 'rtl8139' is not one of virtio, e1000
scenario('an unknown NIC model') {
    network 'lan'
    machine('box') {
        nic 'lan', model: 'rtl8139'
    }
}
