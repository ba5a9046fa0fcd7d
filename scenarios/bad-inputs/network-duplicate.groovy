// expect 2 at line 4: already has a machine or network named 'lan'
scenario('the same network twice') {
    network 'lan'
    network 'lan'
    machine('box')
}
