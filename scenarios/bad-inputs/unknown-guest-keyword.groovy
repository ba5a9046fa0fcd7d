// expect 2 at line 5: unknown keyword 'modul'
scenario('misspelt guest keyword') {
    machine('box') {
        guest {
            modul 'e1000'
        }
    }
}
