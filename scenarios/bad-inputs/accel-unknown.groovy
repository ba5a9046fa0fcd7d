// expect 2 at line 4: accel 'hvf' is not one of auto, kvm, tcg
scenario('unknown accelerator') {
    machine('box') {
        accel 'hvf'
    }
}
