// expect 2 at line 3: the prefix must be between 8 and 30
scenario('a /33 subnet') {
    network 'lan', subnet: '10.0.1.0/33'
    machine('box')
}
