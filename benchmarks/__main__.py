from benchmarks.bench_proxy import main

main()
