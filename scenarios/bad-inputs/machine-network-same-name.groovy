// expect 2 at line 4: already has a machine or network named 'lan'
scenario('a machine named like a network') {
    network 'lan'
    machine('lan')
}
