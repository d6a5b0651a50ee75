// Against the offline sandbox, find out at once whether this browser trusts its certificate, so
// the page says so before a live update or a file silently fails. Against the cloud this is a no-op.
export default defineNuxtPlugin({
  name: 'sandbox-certificate',
  setup(nuxtApp) {
    const { trust, check } = useSandboxCertificate()
    if (trust.value === 'unneeded') return
    nuxtApp.hook('app:mounted', () => void check())
  },
})
