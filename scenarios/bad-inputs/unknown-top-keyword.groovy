// expect 2 at line 2: unknown keyword 'scenarioo'
scenarioo('misspelt top-level keyword') {
    machine('box')
}
