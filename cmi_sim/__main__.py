from cmi_sim.cli import main

main()
