// A misspelt keyword: exit code 2 naming the file, the line and the keyword.
scenario('misspelt') {
    machine('box') {
        memroy '256M'
    }
}
