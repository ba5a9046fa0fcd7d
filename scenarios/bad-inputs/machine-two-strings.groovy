// expect 2 at line 3: wrong arguments for 'machine': \(String, String\)
scenario('machine with a string body') {
    machine('box', 'big')
}
