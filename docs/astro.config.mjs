// The mcvsphere documentation site. Pages under src/content/docs/reference/
// (tools, permissions, resources) and configuration/settings.md are generated
// by `mcvsphere docs --out docs`; a Rust test fails when they are stale.
import { defineConfig } from 'astro/config';
import starlight from '@astrojs/starlight';
import toolsSidebar from './src/generated/tools-sidebar.json' with { type: 'json' };

export default defineConfig({
  site: 'https://mcvsphere.example.org',
  // No telemetry, no external fonts: the site builds and runs offline.
  integrations: [
    starlight({
      title: 'mcvsphere',
      description: 'An MCP server for VMware vSphere, with a built-in vCenter simulator and a conformance suite.',
      logo: { src: './src/assets/logo.svg', alt: 'mcvsphere' },
      favicon: '/favicon.svg',
      customCss: ['./src/styles/theme.css'],
      lastUpdated: false,
      pagination: true,
      sidebar: [
        {
          label: 'Getting started',
          items: [
            'getting-started/introduction',
            'getting-started/installation',
            'getting-started/quickstart',
          ],
        },
        {
          label: 'Configuration',
          items: ['configuration/overview', 'configuration/vcenter', 'configuration/settings'],
        },
        {
          label: 'Deployment',
          items: ['deployment/docker', 'deployment/oauth', 'deployment/access-control', 'deployment/security', 'deployment/reliability'],
        },
        {
          label: 'Reference',
          items: [
            { label: 'Tools', link: '/reference/tools/' },
            ...toolsSidebar.map((g) => ({ ...g, collapsed: true })),
            'reference/permissions',
            'reference/resources',
            'reference/architecture',
          ],
        },
        {
          label: 'Simulator',
          items: ['simulator/running', 'simulator/inventory', 'simulator/clients', 'simulator/vcenter-ops', 'simulator/fault-injection', 'simulator/methods'],
        },
        {
          label: 'Conformance',
          items: ['conformance/running', 'conformance/report'],
        },
      ],
    }),
  ],
});
