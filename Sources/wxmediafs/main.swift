import WxMediaFSCLI

await WxMediaFSCommand.runMain()
