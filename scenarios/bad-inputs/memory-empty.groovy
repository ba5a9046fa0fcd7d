// expect 2 at line 4: memory '' is not a size
scenario('empty memory') {
    machine('box') {
        memory ''
    }
}
