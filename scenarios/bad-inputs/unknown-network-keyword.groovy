// expect 2 at line 3: unknown keyword 'netwrok'
scenario('misspelt network') {
    netwrok 'lan'
    machine('box')
}
