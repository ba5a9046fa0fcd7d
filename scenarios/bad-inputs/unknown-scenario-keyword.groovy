// expect 2 at line 3: unknown keyword 'machnie'
scenario('misspelt scenario keyword') {
    machnie('box') {
    }
}
