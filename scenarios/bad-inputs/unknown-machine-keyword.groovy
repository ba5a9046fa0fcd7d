// expect 2 at line 4: unknown keyword 'memroy'
scenario('misspelt machine keyword') {
    machine('box') {
        memroy '256M'
    }
}
