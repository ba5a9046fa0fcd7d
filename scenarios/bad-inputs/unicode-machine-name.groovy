// expect 2 at line 3: machine name 'bøx' must start with a letter and hold only letters, digits
scenario('a machine name beyond ASCII') {
    machine('bøx')
}
