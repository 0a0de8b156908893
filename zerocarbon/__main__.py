from zerocarbon.cli import main

main()
