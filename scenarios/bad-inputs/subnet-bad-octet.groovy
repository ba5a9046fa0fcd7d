// expect 2 at line 3: network 'lan': '300.0.1.0/24': 300 is not an octet
scenario('an octet above 255') {
    network 'lan', subnet: '300.0.1.0/24'
    machine('box')
}
