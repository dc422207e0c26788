"""pyvmomi and hosts: read a host's hardware, toggle its SSH service
(start, policy, stop) and read the changes back, query performance counters
and real-time samples for the host, and read events through an event
history collector.
Usage: pyvmomi_hosts.py HOST PORT USER PASSWORD HOSTNAME.
Prints one line per check; exits non-zero on the first failure."""

import sys

from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def find_host(content, name):
    view = content.viewManager.CreateContainerView(
        content.rootFolder, [vim.HostSystem], True)
    try:
        return next(h for h in view.view if h.name == name)
    finally:
        view.DestroyView()


def ssh(service_system):
    return next(s for s in service_system.serviceInfo.service
                if s.key == "TSM-SSH")


def main():
    host, port, user, pwd, host_name = sys.argv[1:6]
    si = SmartConnect(host=host, port=int(port), user=user, pwd=pwd,
                      disableSslCertValidation=True)
    content = si.RetrieveContent()
    h = find_host(content, host_name)

    hw = h.hardware
    check(hw.cpuInfo.numCpuPackages == len(hw.cpuPkg) == 2,
          "two CPU packages")
    check(hw.cpuInfo.numCpuCores >= 2 and hw.cpuInfo.hz == 2200000000,
          "cores and 2.2 GHz")
    check(hw.memorySize == h.summary.hardware.memorySize, "memory size")
    check(hw.systemInfo.uuid == h.summary.hardware.uuid, "system uuid")
    check(len(hw.pciDevice) > 0, "PCI devices")
    check(h.config.product.name == "VMware ESXi", "product")
    vmk0 = h.config.network.vnic[0]
    check(vmk0.device == "vmk0" and vmk0.spec.ip.ipAddress, "vmk0 with an IP")
    check(h.runtime.connectionState == "connected", "connected")

    svc = h.configManager.serviceSystem
    check(not ssh(svc).running and ssh(svc).policy == "off",
          "SSH stopped, policy off")
    svc.StartService(id="TSM-SSH")
    svc.UpdateServicePolicy(id="TSM-SSH", policy="on")
    check(ssh(svc).running and ssh(svc).policy == "on",
          "SSH running, policy on")
    on_host = next(s for s in h.config.service.service if s.key == "TSM-SSH")
    check(on_host.running, "the host's config.service agrees")
    svc.StopService(id="TSM-SSH")
    check(not ssh(svc).running, "SSH stopped again")
    try:
        svc.StartService(id="no-such-service")
        check(False, "an unknown service is refused")
    except vim.fault.NotFound as e:
        check("no-such-service" in e.msg, "NotFound names the service")

    pm = content.perfManager
    names = {"%s.%s.%s" % (c.groupInfo.key, c.nameInfo.key, c.rollupType): c.key
             for c in pm.perfCounter}
    mhz = names["cpu.usagemhz.average"]
    mem = names["mem.consumed.average"]
    info = pm.QueryPerfCounter(counterId=[mhz])
    check(info[0].unitInfo.key == "megaHertz", "cpu.usagemhz is in MHz")
    summary = pm.QueryPerfProviderSummary(entity=h)
    check(summary.currentSupported and summary.refreshRate == 20,
          "real-time every 20 s")
    avail = pm.QueryAvailablePerfMetric(entity=h, intervalId=20)
    check(any(m.counterId == mhz for m in avail), "usagemhz available")
    spec = vim.PerformanceManager.QuerySpec(
        entity=h, intervalId=20, maxSample=3,
        metricId=[vim.PerformanceManager.MetricId(counterId=mhz, instance=""),
                  vim.PerformanceManager.MetricId(counterId=mem, instance="")])
    result = pm.QueryPerf(querySpec=[spec])
    check(len(result) == 1 and len(result[0].sampleInfo) == 3,
          "three samples")
    series = {s.id.counterId: list(s.value) for s in result[0].value}
    check(all(v > 0 for v in series[mhz]), "CPU samples are positive")
    check(all(v > 0 for v in series[mem]), "memory samples are positive")
    check(result[0].sampleInfo[0].interval == 20, "20 s interval")

    vm = next(v for v in h.vm if v.runtime.powerState == "poweredOn")
    WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.PowerOnVM_Task())
    em = content.eventManager
    flt = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=h, recursion="all"))
    collector = em.CreateCollectorForEvents(filter=flt)
    collector.SetCollectorPageSize(maxCount=5)
    events = collector.ReadNextEvents(maxCount=50)
    check(isinstance(collector.latestPage, list), "latestPage reads")
    check(all(events[i].key < events[i + 1].key
              for i in range(len(events) - 1)), "oldest first")
    kinds = [type(e).__name__.split(".")[-1] for e in events]
    check("VmPoweredOffEvent" in kinds and "VmPoweredOnEvent" in kinds,
          "the power events of the host's VM: %s" % kinds)
    check(len(collector.latestPage) <= 5, "latestPage is one page")
    check(collector.latestPage[0].key == events[-1].key,
          "latestPage starts with the newest")
    collector.DestroyCollector()

    Disconnect(si)
    print("done")


if __name__ == "__main__":
    main()
