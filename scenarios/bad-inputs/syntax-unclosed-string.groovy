// expect 2 at line 4: Unexpected character|unexpected|expecting
scenario('an unterminated string') {
    machine('box') {
        memory '256M
    }
}
