#!/usr/bin/env node
// Before `npm start` and `npm test`: WebGPU on a machine without a GPU needs Chromium (whose
// SwiftShader Vulkan driver is the adapter) and the Vulkan loader (libvulkan1). When missing,
// install them if we can (root with apt-get), else say exactly what to run.
import { existsSync } from 'node:fs';
import { execSync, spawnSync } from 'node:child_process';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function hasVulkanLoader() {
  try {
    return execSync('ldconfig -p', { encoding: 'utf8' }).includes('libvulkan.so.1');
  } catch {
    return existsSync('/usr/lib/x86_64-linux-gnu/libvulkan.so.1') || existsSync('/usr/lib/aarch64-linux-gnu/libvulkan.so.1');
  }
}

const missing = [];
if (!existsSync(CHROMIUM) || !existsSync(ICD)) missing.push('chromium');
if (!hasVulkanLoader()) missing.push('libvulkan1');

if (missing.length) {
  const cmd = `apt-get install -y ${missing.join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (isRoot && hasApt) {
    console.log(`biud: installing ${missing.join(' and ')} (WebGPU on the CPU needs them): ${cmd}`);
    const r = spawnSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive ${cmd} -qq`], { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`biud: "${cmd}" failed; install ${missing.join(' and ')} and try again.`);
      process.exit(1);
    }
  } else {
    console.error(
      `biud: WebGPU on this machine needs ${missing.join(' and ')}, which are not installed.\n` +
        `  Debian/Ubuntu: sudo ${cmd}\n` +
        `  (Chromium brings SwiftShader, the Vulkan driver that runs WebGPU on the CPU; set CHROMIUM_PATH if yours is elsewhere.)`,
    );
    process.exit(1);
  }
}
